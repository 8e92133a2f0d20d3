#!/bin/sh
# embed.sh FILE NAME: print a C file defining `const char NAME[]` holding FILE.
set -e
printf '/* generated from %s by build-aux/embed.sh; do not edit */\n' "$(basename "$1")"
printf 'extern const char %s[];\nconst char %s[] =\n' "$2" "$2"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$1"
printf ';\n'
