// Every public package is described the way the npm ecosystem expects (publint and attw check the rest, in
// `npm run check:package`), and Band's own packages depend on each other at exactly the versions in the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  [key: string]: unknown;
}
const manifests: Array<{ dir: string; pkg: Manifest }> = [];
for (const group of ['packages', 'apps']) {
  for (const dir of readdirSync(join(ROOT, group))) {
    const file = join(ROOT, group, dir, 'package.json');
    if (existsSync(file))
      manifests.push({ dir: `${group}/${dir}`, pkg: JSON.parse(readFileSync(file, 'utf8')) as Manifest });
  }
}
const publicOnes = manifests.filter((m) => !m.pkg.private);
const versions = new Map(manifests.map((m) => [m.pkg.name, m.pkg.version]));

describe.each(publicOnes.map((m) => [m.pkg.name, m] as const))('%s', (_name, { dir, pkg }) => {
  it('has the fields a published package needs', () => {
    expect(pkg.license).toBe('MIT');
    expect(pkg.type).toBe('module');
    expect(pkg.engines).toEqual({ node: '>=20.19' });
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/band/band.git', directory: dir });
    expect(typeof pkg.sideEffects).toBe('boolean');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md']));
    expect(existsSync(join(ROOT, dir, 'README.md'))).toBe(true);
    expect((pkg.scripts as Record<string, string>)['check:package']).toMatch(/publint --strict/);
    const exports = pkg.exports as Record<string, { types: string; import: string }> | undefined;
    if (exports) {
      expect(pkg.types).toBe(exports['.']?.types);
      for (const entry of Object.values(exports))
        expect(entry).toEqual({
          types: expect.stringMatching(/^\.\/dist\/.*\.d\.ts$/),
          import: expect.stringMatching(/^\.\/dist\/.*\.js$/),
        });
    } else expect(pkg.bin).toBeDefined();
  });

  it('depends only on published Band packages, at their exact version', () => {
    for (const [dep, range] of Object.entries({
      ...(pkg.dependencies as object),
      ...(pkg.peerDependencies as object),
    })) {
      if (!dep.startsWith('@band/')) continue;
      const target = manifests.find((m) => m.pkg.name === dep);
      expect(target?.pkg.private, `${pkg.name} depends on private ${dep}`).toBeFalsy();
      expect(range).toBe(versions.get(dep));
    }
  });
});

describe('private packages', () => {
  it(
    'only the apps that are not installed from npm, and the bundled ' +
      'internal helpers, stay private, and each README says why',
    () => {
      const privateOnes = manifests.filter((m) => m.pkg.private).map((m) => m.pkg.name);
      // The dashboard ships prebuilt inside @band/server; the desktop app ships as a packaged build (its README);
      // @band/internal is bundled into the packages that use it.
      expect(privateOnes.sort()).toEqual(['@band/dashboard', '@band/desktop', '@band/internal']);
      expect(readFileSync(join(ROOT, 'apps', 'desktop', 'README.md'), 'utf8')).toContain(
        '## Why this package is private',
      );
      expect(readFileSync(join(ROOT, 'packages', 'internal', 'README.md'), 'utf8')).toContain(
        '## Why this package is private',
      );
    },
  );
});
