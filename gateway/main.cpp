// Placeholder until the gateway lands.
int main() { return 0; }
