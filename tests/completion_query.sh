#!/usr/bin/env bash
# Asks maskdetect's bash completion what it offers, as bash would when TAB is pressed.
#   tests/completion_query.sh SCRIPT|--installed < QUERIES
# Each line of QUERIES is a command line being completed ("maskdetect --det"; a trailing space
# means the word being completed is empty). For each, prints one line: the query, a tab, and the
# offered words sorted and space-separated. SCRIPT is sourced; --installed has bash-completion
# find the script in its standard folders instead, as it does for a user.
# Exit status 3 when bash-completion (package bash-completion) or the script is missing.
set -u
helpers=/usr/share/bash-completion/bash_completion
[ -r "$helpers" ] || { echo "completion_query.sh: $helpers missing (bash-completion)" >&2; exit 3; }
# shellcheck source=/dev/null
source "$helpers"
if [ "${1:-}" = --installed ]; then
  __load_completion maskdetect || { echo "completion_query.sh: no installed completion" >&2; exit 3; }
else
  [ -r "${1:-}" ] || { echo "completion_query.sh: no script ${1:-}" >&2; exit 3; }
  # shellcheck source=/dev/null
  source "$1"
fi
func=$(complete -p maskdetect 2>/dev/null | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
[ -n "$func" ] || { echo "completion_query.sh: maskdetect has no completion function" >&2; exit 3; }

while IFS= read -r line; do
  read -r -a COMP_WORDS <<<"$line"
  [[ $line == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE=$line
  COMP_POINT=${#line}
  COMPREPLY=()
  "$func" maskdetect "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\t%s\n' "$line" "$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//')"
done
