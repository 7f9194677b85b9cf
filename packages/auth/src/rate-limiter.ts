// Token buckets for FAILED credential attempts. Valid credentials are accepted before the limiter is consulted.

export interface BucketSpec {
  capacity: number;
  /** Tokens added per minute. */
  refillPerMinute: number;
}

export interface RateLimiter {
  /** Whether every bucket still has a token (does not consume). */
  check(keys: readonly string[]): { ok: true } | { ok: false; retryAfterSec: number };
  /** Consumes one token from each bucket; ok=false when any was already empty. */
  fail(keys: readonly string[]): { ok: true } | { ok: false; retryAfterSec: number };
  /** Drops buckets that are full again (bounded memory). */
  prune(): void;
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** `specOf(key)` picks the bucket spec for a key (e.g. `tunnel:ip:1.2.3.4`, `tunnel:global`, `local:global`). */
export function createRateLimiter(
  specOf: (key: string) => BucketSpec,
  now: () => number = Date.now,
  maxKeys = 10_000,
): RateLimiter {
  const buckets = new Map<string, Bucket>();

  const refill = (key: string): { bucket: Bucket; spec: BucketSpec } => {
    const spec = specOf(key);
    const t = now();
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { tokens: spec.capacity, updatedAt: t };
      if (buckets.size >= maxKeys) prune();
      if (buckets.size >= maxKeys) {
        // Still full of distinct keys: forget the oldest so memory stays bounded.
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      buckets.set(key, bucket);
    } else {
      const elapsed = Math.max(0, t - bucket.updatedAt);
      bucket.tokens = Math.min(spec.capacity, bucket.tokens + (elapsed * spec.refillPerMinute) / 60_000);
      bucket.updatedAt = t;
    }
    return { bucket, spec };
  };

  const retryAfter = (bucket: Bucket, spec: BucketSpec): number =>
    Math.max(1, Math.ceil(((1 - bucket.tokens) * 60_000) / spec.refillPerMinute / 1000));

  const check = (keys: readonly string[]) => {
    let worst = 0;
    for (const key of keys) {
      const { bucket, spec } = refill(key);
      if (bucket.tokens < 1) worst = Math.max(worst, retryAfter(bucket, spec));
    }
    return worst > 0 ? ({ ok: false, retryAfterSec: worst } as const) : ({ ok: true } as const);
  };

  const prune = () => {
    const t = now();
    for (const [key, bucket] of buckets) {
      const spec = specOf(key);
      const tokens = bucket.tokens + ((t - bucket.updatedAt) * spec.refillPerMinute) / 60_000;
      if (tokens >= spec.capacity) buckets.delete(key);
    }
  };

  return {
    check,
    fail(keys) {
      const before = check(keys);
      for (const key of keys) {
        const { bucket } = refill(key);
        bucket.tokens = Math.max(0, bucket.tokens - 1);
      }
      return before;
    },
    prune,
    size: () => buckets.size,
  };
}

/** The numbers of auth.md §3.7. */
export const defaultBuckets = Object.freeze({
  tunnelPerIp: { capacity: 10, refillPerMinute: 10 },
  tunnelGlobal: { capacity: 100, refillPerMinute: 100 },
  localGlobal: { capacity: 30, refillPerMinute: 30 },
});

export function bandBucketSpec(key: string): BucketSpec {
  if (key.startsWith('tunnel:ip:')) return defaultBuckets.tunnelPerIp;
  if (key === 'tunnel:global') return defaultBuckets.tunnelGlobal;
  return defaultBuckets.localGlobal;
}
