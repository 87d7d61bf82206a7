#!/bin/sh
# Writes a C++ fragment with the JSON text of every preset file given:
#   embed_presets.sh OUT --models a.json b.json --clusters c.json
# Each file becomes {"<basename>", R"json(<text>)json"}.
out="$1"; shift
{
  kind=""
  for f in "$@"; do
    case "$f" in
      --models) [ -n "$kind" ] && echo "};"; kind=m; echo "const Embedded kModelPresets[] = {"; continue ;;
      --clusters) [ -n "$kind" ] && echo "};"; kind=c; echo "const Embedded kClusterPresets[] = {"; continue ;;
    esac
    name=$(basename "$f" .json)
    printf '{"%s", R"json(' "$name"
    cat "$f"
    printf ')json"},\n'
  done
  echo "};"
} > "$out"
