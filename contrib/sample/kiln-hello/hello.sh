#!/bin/sh
echo "Hello from kiln-hello @VERSION@, built by kiln."
