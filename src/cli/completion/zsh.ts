/**
 * `mudanza completion zsh`: zsh runs the bash script through its bashcompinit layer (the same tree and
 * logic, one script to keep right), loaded after compinit.
 */
export function zshCompletion(bashScript: string): string {
  return `#compdef mudanza
# zsh completion for mudanza. Load it with:  source <(mudanza completion zsh)   (after compinit)
autoload -U +X compinit && { (( $+functions[compdef] )) || compinit }
autoload -U +X bashcompinit && bashcompinit
${bashScript}`;
}
