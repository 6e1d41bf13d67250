#!/bin/sh
# Launcher for notify. skiff runs a Service's image as a local executable
# (an absolute path or file:// URL), so the image of notify is this script:
# it runs server.js with node from the PATH skiff passes on.
cd "$(dirname "$0")" || exit 1
if [ ! -d node_modules/cloudevents ]; then
	echo "notify: node_modules is missing; run 'npm ci' in $(pwd)" >&2
	exit 1
fi
exec node server.js
