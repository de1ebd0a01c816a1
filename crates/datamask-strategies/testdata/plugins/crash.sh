#!/bin/sh
# Misbehaves: reads its input, then fails.
cat > /dev/null
echo "something broke while masking" >&2
exit 3
