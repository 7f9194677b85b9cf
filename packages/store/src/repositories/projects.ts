import { newId } from '../ids.js';
import type { Project } from '../types.js';
import { createFindByIdPrefix, createGetById, iso, type RepoContext } from './shared.js';

interface ProjectRow {
  id: string;
  name: string;
  path: string;
  default_branch: string;
  created_at: number;
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  path: r.path,
  defaultBranch: r.default_branch,
  createdAt: iso(r.created_at),
});

export interface NewProject {
  name: string;
  path: string;
  defaultBranch: string;
  /** Generated (`prj_…`) when omitted. */
  id?: string;
}

export interface ProjectsRepository {
  /** Throws StoreError `CONFLICT` when the name or path is already registered. */
  create(input: NewProject): Project;
  get(id: string): Project | undefined;
  getByName(name: string): Project | undefined;
  getByPath(path: string): Project | undefined;
  /** Ordered by name. */
  list(): Project[];
  /** Projects whose id starts with `prefix` (at most 10). */
  findByIdPrefix(prefix: string): Project[];
  update(id: string, patch: Partial<Pick<Project, 'name' | 'defaultBranch'>>): Project | undefined;
  /** Deletes the project and, by cascade, its workspaces, chats, turns and events. */
  remove(id: string): boolean;
}

export function createProjectsRepository({ db, now }: RepoContext): ProjectsRepository {
  const insert = db.prepare(
    'INSERT INTO projects (id, name, path, default_branch, ' +
      'created_at) VALUES (@id, @name, @path, @defaultBranch, @createdAt)',
  );
  const byName = db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE name = ?');
  const byPath = db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE path = ?');
  const all = db.prepare<[], ProjectRow>('SELECT * FROM projects ORDER BY name');
  const setName = db.prepare('UPDATE projects SET name = ? WHERE id = ?');
  const setBranch = db.prepare('UPDATE projects SET default_branch = ? WHERE id = ?');
  const del = db.prepare('DELETE FROM projects WHERE id = ?');

  const get = createGetById(db, 'projects', toProject);
  return {
    create(input) {
      const id = input.id ?? newId('prj');
      insert.run({ id, name: input.name, path: input.path, defaultBranch: input.defaultBranch, createdAt: now() });
      return get(id)!;
    },
    get,
    getByName(name) {
      const row = byName.get(name);
      return row && toProject(row);
    },
    getByPath(path) {
      const row = byPath.get(path);
      return row && toProject(row);
    },
    list: () => all.all().map(toProject),
    findByIdPrefix: createFindByIdPrefix(db, 'projects', toProject),
    update(id, patch) {
      db.transaction(() => {
        if (patch.name !== undefined) setName.run(patch.name, id);
        if (patch.defaultBranch !== undefined) setBranch.run(patch.defaultBranch, id);
      })();
      return get(id);
    },
    remove: (id) => del.run(id).changes > 0,
  };
}
