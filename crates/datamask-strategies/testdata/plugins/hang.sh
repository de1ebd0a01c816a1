#!/bin/sh
# Misbehaves: never answers (datamask must time out and kill it).
exec sleep 600
