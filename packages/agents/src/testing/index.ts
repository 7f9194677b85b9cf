// Test kit for @band/agents: shipped as @band/agents/testing.
export {};
