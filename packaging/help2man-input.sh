#!/bin/sh
# What help2man reads to write maskdetect(1): the real --help of maskdetect, `maskdetect eval`,
# `maskdetect serve` and `maskdetect merge`, run from $MASKDETECT_BIN, so that the page cannot
# drift from the options. help2man takes one --help text, so each subcommand's becomes a custom section
# ("*Eval command*", "*Serve command*", "*Merge command*"), and
# CLI11's "-i,--input" gets the space help2man needs to embolden both names.
# --version gives $MASKDETECT_VERSION alone: the page names the release, not the commit.
set -eu
bin="${MASKDETECT_BIN:?set MASKDETECT_BIN to the maskdetect binary}"
spaced() { sed -e 's/^\(  -[A-Za-z]\),--/\1, --/'; }
case "${1:-}" in
  --version) echo "maskdetect ${MASKDETECT_VERSION:?set MASKDETECT_VERSION}" ;;
  --help)
    # The subcommands' usages join the SYNOPSIS as help2man's "or:" lines.
    eval_usage=$("$bin" eval --help | sed -n 's/^Usage: //p')
    serve_usage=$("$bin" serve --help | sed -n 's/^Usage: //p')
    merge_usage=$("$bin" merge --help | sed -n 's/^Usage: //p')
    "$bin" --help | spaced | sed -e "/^Usage: /a\\
  or:  $eval_usage\\
  or:  $serve_usage\\
  or:  $merge_usage"
    for sub in Eval Serve Merge; do
      lower=$(echo "$sub" | tr 'A-Z' 'a-z')
      echo
      echo "*$sub command*"
      "$bin" "$lower" --help | spaced | sed -e 's/^Usage: \(.*\)$/  $ \1/' \
        -e "s/^Positionals:$/$sub arguments:/" -e "s/^Options:$/$sub options:/"
    done
    ;;
  *) echo "usage: $0 --help|--version" >&2; exit 2 ;;
esac
