import { shellQuote } from "../../hosts/quote.js";
import type { CommandNode, Completes } from "./tree.js";

/** One completion kind as the words the script's `_mudanza_complete` reads: "file yaml yml", "dir", "words a b". */
function spec(completes: Completes | undefined): string {
  if (!completes) return "none";
  switch (completes.kind) {
    case "file":
      return ["file", ...(completes.extensions ?? [])].join(" ");
    case "dir":
      return "dir";
    case "words":
      return ["words", ...completes.words].join(" ");
    case "none":
      return "none";
  }
}

const entry = (key: string, value: string): string => `  [${shellQuote(key)}]=${shellQuote(value)}`;

/**
 * `mudanza completion bash`: a static script (the tree is written into it, nothing runs mudanza while
 * completing). It walks the words typed so far to find the subcommand, skipping flags and their values,
 * then offers subcommands and flags, or what the flag before the cursor or the argument in this place
 * takes: plan files (*.yaml, *.yml and folders), files, folders or fixed words.
 */
export function bashCompletion(nodes: CommandNode[]): string {
  const subs = nodes.map((n) => entry(n.path, n.subcommands.join(" ")));
  const flags = nodes.map((n) => entry(n.path, n.flags.join(" ")));
  const values = nodes.flatMap((n) =>
    Object.entries(n.valueFlags).map(([flag, c]) => entry(`${n.path} ${flag}`, spec(c))),
  );
  const args = nodes.flatMap((n) => n.args.map((c, i) => entry(`${n.path} ${i}`, spec(c))));
  return `# bash completion for mudanza. Load it with:  source <(mudanza completion bash)
# or install it:  mudanza completion bash > /etc/bash_completion.d/mudanza
declare -gA _mudanza_subs=(
${subs.join("\n")}
)
declare -gA _mudanza_flags=(
${flags.join("\n")}
)
declare -gA _mudanza_values=(
${values.join("\n")}
)
declare -gA _mudanza_args=(
${args.join("\n")}
)

# Fills COMPREPLY from a spec: "file [EXT...]", "dir", "words WORD...", "none".
_mudanza_complete() {
  local cur="$1" kind="$2"; shift 2
  local IFS=$'\\n' ext
  case "$kind" in
    words) COMPREPLY=($(compgen -W "$*" -- "$cur")) ;;
    dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    file)
      compopt -o filenames 2>/dev/null
      if [ $# -eq 0 ]; then COMPREPLY=($(compgen -f -- "$cur"))
      else
        COMPREPLY=($(compgen -d -- "$cur"))
        for ext in "$@"; do COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$cur")); done
      fi ;;
    *) COMPREPLY=() ;;
  esac
}

_mudanza() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="mudanza" word i positional=0 value
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ "$word" == -* ]]; then
      # A flag that takes a value eats the next word (unless written --flag=value).
      [[ "$word" != *=* && -n "\${_mudanza_values["$path $word"]+set}" ]] && ((i++))
    elif [[ " \${_mudanza_subs[$path]} " == *" $word "* ]]; then
      path="$path $word"; positional=0
    else
      ((positional++))
    fi
  done
  if [[ "$cur" == --*=* ]]; then
    value="\${_mudanza_values["$path \${cur%%=*}"]}"
    [ -n "$value" ] && _mudanza_complete "\${cur#*=}" $value
    return 0
  fi
  value="\${_mudanza_values["$path \${COMP_WORDS[COMP_CWORD-1]}"]}"
  if [ "$COMP_CWORD" -gt 1 ] && [ -n "$value" ] && [[ "\${COMP_WORDS[COMP_CWORD-1]}" == -* ]]; then
    _mudanza_complete "$cur" $value
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${_mudanza_flags[$path]}" -- "$cur"))
  elif [ -n "\${_mudanza_subs[$path]}" ]; then
    COMPREPLY=($(compgen -W "\${_mudanza_subs[$path]}" -- "$cur"))
  elif [ -n "\${_mudanza_args["$path $positional"]+set}" ]; then
    _mudanza_complete "$cur" \${_mudanza_args["$path $positional"]}
  fi
  return 0
}
complete -F _mudanza mudanza
`;
}
