export declare const PROCESS_BUNDLE_INLINE: readonly string[];
export declare const PROCESS_BUNDLE_EXTERNAL: string[];
export declare function runtimeImports(): Record<string, string>;
