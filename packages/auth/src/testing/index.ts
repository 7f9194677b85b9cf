// Test kit for @band/auth: shipped as @band/auth/testing.
export {};
