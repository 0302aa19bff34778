"""What an application is for: a call or SMS reaching a number, routed to its webhooks."""
