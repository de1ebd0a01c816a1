#!/bin/sh
# Misbehaves: one line per input line, but not JSON.
exec sed 's/.*/hello/'
