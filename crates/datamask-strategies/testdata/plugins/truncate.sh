#!/bin/sh
# Misbehaves: answers only the first 64 bytes of its input (a broken Arrow stream).
exec head -c 64
