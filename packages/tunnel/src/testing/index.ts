// Test kit for @band/tunnel: shipped as @band/tunnel/testing.
export {};
