#!/bin/sh
# Misbehaves: answers one line fewer than it was given.
exec sed '$d'
