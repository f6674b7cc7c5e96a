#!/bin/sh
# transmission-cli --finish hook: the download is complete, so stop the
# transmission-cli that ran this script (it would seed forever otherwise).
kill -INT "$PPID"
