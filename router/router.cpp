// Placeholder until the router lands.
