// Test kit for @band/settings: shipped as @band/settings/testing.
export {};
