//go:build !js

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/braid-bt/braid"
	"github.com/braid-bt/braid/node"
)

// stunDefault lists braid.DefaultICEServers for --stun's help.
func stunDefault() string {
	var urls []string
	for _, s := range braid.DefaultICEServers {
		urls = append(urls, s.URLs...)
	}
	return strings.Join(urls, ",")
}

// maxTURNPassFile bounds the file --turn-pass-file names.
const maxTURNPassFile = 4 << 10

// iceServers reads --stun (default braid.DefaultICEServers; "none"
// leaves them out) and --turn with --turn-user and --turn-pass-file.
func (f *clientFlags) iceServers() ([]braid.ICEServer, error) {
	var out []braid.ICEServer
	switch {
	case len(f.stun) == 0:
		out = append(out, braid.DefaultICEServers...)
	case len(f.stun) == 1 && strings.EqualFold(strings.TrimSpace(f.stun[0]), "none"):
	default:
		for _, v := range f.stun {
			for _, u := range strings.Split(v, ",") {
				if u = strings.TrimSpace(u); u == "" {
					continue
				}
				if strings.EqualFold(u, "none") {
					return nil, errors.New("--stun none cannot be combined with servers")
				}
				if !strings.HasPrefix(strings.ToLower(u), "stun:") && !strings.HasPrefix(strings.ToLower(u), "stuns:") {
					return nil, fmt.Errorf("--stun %q: want a stun: URL", u)
				}
				out = append(out, braid.ICEServer{URLs: []string{u}})
			}
		}
	}
	if len(f.turn) > 0 {
		if f.turnUser == "" || f.turnPass == "" {
			return nil, errors.New("--turn needs --turn-user and --turn-pass-file")
		}
		pass, err := readPassFile(f.turnPass)
		if err != nil {
			return nil, err
		}
		for _, u := range f.turn {
			if l := strings.ToLower(u); !strings.HasPrefix(l, "turn:") && !strings.HasPrefix(l, "turns:") {
				return nil, fmt.Errorf("--turn %q: want a turn: or turns: URL", u)
			}
		}
		out = append(out, braid.ICEServer{URLs: append([]string(nil), f.turn...), Username: f.turnUser, Credential: pass})
	} else if f.turnUser != "" || f.turnPass != "" {
		return nil, errors.New("--turn-user and --turn-pass-file need --turn")
	}
	if f.relayOnly && len(f.turn) == 0 {
		return nil, errors.New("--relay-only needs a --turn server")
	}
	if err := node.CheckICEServers(out); err != nil {
		return nil, err
	}
	return out, nil
}

// readPassFile returns the first line of a small file.
func readPassFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("--turn-pass-file: %w", err)
	}
	if fi.Size() > maxTURNPassFile {
		return "", fmt.Errorf("--turn-pass-file %s: larger than %d bytes", path, maxTURNPassFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--turn-pass-file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("--turn-pass-file %s: empty", path)
	}
	return line, nil
}
