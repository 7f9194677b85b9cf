export interface ReplayLine {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}
export interface Transcript {
  lines: ReplayLine[];
  exit?: { at: number; code: number | null; signal: string | null };
  argv: string[];
  version?: string;
  protocol: string;
  shutdown: ReplayLine[];
}
export declare function readTranscript(path: string): Transcript;
export declare function flagNames(argv: string[]): string[];
export declare function replayApplies(
  transcript: Transcript,
  argv: string[],
  protocol: string,
  isKnownFlag?: (flag: string) => boolean,
  loose?: boolean,
): boolean;
export declare function play(
  transcript: Transcript,
  scale: number,
  hooks: {
    line(stream: string, text: string): void | Promise<void>;
    exit(code: number | null, signal: string | null): void;
  },
): () => void;
