// `band completion bash|zsh|fish`: completion scripts generated from the command tree.
import { Command, type Option } from 'commander';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';

export interface CommandNode {
  /** Space-separated path below `band`, '' for the root. */
  path: string;
  subcommands: string[];
  /** Long flags, e.g. `--output`. */
  flags: string[];
}

const longFlags = (options: readonly Option[]) => options.map((o) => o.long).filter((f): f is string => !!f);

/** Every command of the tree with its subcommands and flags (global flags included everywhere). */
export function collectCommands(root: Command): CommandNode[] {
  const globals = longFlags(root.options);
  const nodes: CommandNode[] = [];
  const visit = (cmd: Command, path: string) => {
    const subs = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      subcommands: subs.map((c) => c.name()),
      flags: [...new Set([...longFlags(cmd.options), ...globals, '--help'])],
    });
    for (const sub of subs) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(root, '');
  return nodes;
}

const words = (node: CommandNode) => [...node.subcommands, ...node.flags].join(' ');

/**
 * The shell loop (the same in bash and zsh) that walks the words typed so far and keeps in `cmdpath` the longest
 * known command path ("chats approve"), skipping flags. Shells differ only in where the words are and where they start.
 */
function findCommandPath(nodes: CommandNode[], shell: { from: number; to: string; word: string }): string {
  const known = nodes.filter((n) => n.path).map((n) => `"${n.path}"`);
  return `  for ((i = ${shell.from}; i < ${shell.to}; i++)); do
    w="\${${shell.word}}"
    [[ "$w" == -* ]] && continue
    candidate="\${cmdpath:+$cmdpath }$w"
    case "$candidate" in
      ${known.join('|')}) cmdpath="$candidate" ;;
    esac
  done`;
}

export function bashCompletion(nodes: CommandNode[]): string {
  const cases = nodes.map((n) => `    "${n.path}") words="${words(n)}" ;;`).join('\n');
  return `# band completion for bash. Install: band completion bash > ~/.local/share/bash-completion/completions/band
_band_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" candidate w i words=""
${findCommandPath(nodes, { from: 1, to: 'COMP_CWORD', word: 'COMP_WORDS[i]' })}
  case "$cmdpath" in
${cases}
  esac
  if [[ "$cur" == --output=* ]]; then words="--output=text --output=json"; fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _band_complete band
`;
}

export function zshCompletion(nodes: CommandNode[]): string {
  const cases = nodes.map((n) => `    "${n.path}") candidates=(${words(n)}) ;;`).join('\n');
  return `#compdef band
# band completion for zsh. Install: band completion zsh > "\${fpath[1]}/_band" (then restart zsh)
_band() {
  local cmdpath="" candidate w i
  local -a candidates
${findCommandPath(nodes, { from: 2, to: 'CURRENT', word: 'words[i]' })}
  case "$cmdpath" in
${cases}
  esac
  compadd -- $candidates
}
compdef _band band
`;
}

export function fishCompletion(nodes: CommandNode[]): string {
  const lines = [
    '# band completion for fish. Install: band completion fish > ~/.config/fish/completions/band.fish',
    'complete -c band -f',
  ];
  for (const node of nodes) {
    const parts = node.path ? node.path.split(' ') : [];
    // The condition: exactly this path has been typed (as the last words before the cursor's word).
    const condition = parts.length === 0 ? '__fish_use_subcommand' : `__band_path_is '${node.path}'`;
    if (node.subcommands.length) lines.push(`complete -c band -n "${condition}" -a '${node.subcommands.join(' ')}'`);
    for (const flag of node.flags) lines.push(`complete -c band -n "${condition}" -l ${flag.slice(2)}`);
  }
  lines.push(
    'function __band_path_is',
    '  set -l tokens (commandline -opc)',
    '  set -l words',
    '  for t in $tokens[2..-1]',
    "    string match -q -- '-*' $t; and continue",
    '    set -a words $t',
    '  end',
    '  test "$words" = "$argv[1]"',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

export function completionCommand(ctx: CliContext, root: () => Command): Command {
  return new Command('completion')
    .description('Print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      [
        '',
        'Install:',
        '  band completion bash > ~/.local/share/bash-completion/completions/band',
        `  band completion zsh > "$\{fpath[1]}/_band"`,
        '  band completion fish > ~/.config/fish/completions/band.fish',
      ].join('\n'),
    )
    .action((shell: string) => {
      const nodes = collectCommands(root());
      if (shell === 'bash') ctx.out.write(bashCompletion(nodes));
      else if (shell === 'zsh') ctx.out.write(zshCompletion(nodes));
      else if (shell === 'fish') ctx.out.write(fishCompletion(nodes));
      else throw usageError(`Unknown shell "${shell}"`, 'Use bash, zsh or fish.');
    });
}
