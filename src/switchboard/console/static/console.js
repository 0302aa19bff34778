/* Switchboard console: a small single-page app over the server's own REST API.
 *
 * No framework, no build step, nothing loaded from elsewhere: ES modules served by the server
 * itself. Credentials (an account SID and its auth token, or an API key SID and its secret) stay
 * in the console's tabs for the browser session (session.js) and go out as HTTP Basic on every
 * API call, exactly as an SDK sends them. Each page module registers its routes.
 */

import { start } from "./app.js";
import "./page-accounts.js";
import "./page-applications.js";
import "./page-numbers.js";
import "./page-keys.js";
import "./page-traffic.js";
import "./page-phone.js";
import "./page-recordings.js";
import "./page-logs.js";
import "./page-handsets.js";
import "./page-requests.js";
import "./page-tools.js";
import "./page-status.js";

start();
