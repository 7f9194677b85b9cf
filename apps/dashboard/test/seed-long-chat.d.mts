export declare const eventsPerTurn: (deltas: number) => number;
export declare const promptOf: (i: number) => string;
export declare function seedLongChat(options: { home: string; chatId: string; turns: number; deltas?: number }): number;
