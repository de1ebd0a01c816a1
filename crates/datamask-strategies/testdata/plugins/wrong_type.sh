#!/bin/sh
# Misbehaves: answers text where numbers are expected.
exec sed 's/.*/{"value": "abc"}/'
