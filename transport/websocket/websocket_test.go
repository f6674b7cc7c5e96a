package websocket

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"ws://127.0.0.1:6882/", true},
		{"wss://peer.example/x", true},
		{"WS://HOST:1/", true},
		{"Wss://h/", true},
		{"ws:/h", false},
		{"ws", false},
		{"", false},
		{"127.0.0.1:6881", false},
		{"http://h/", false},
		{"wsx://h/", false},
	} {
		assert.Equal(t, tc.want, IsURL(tc.in), tc.in)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{in: "ws://127.0.0.1:6882/", want: "127.0.0.1:6882"},
		{in: "ws://peer.example/", want: "peer.example:80"},
		{in: "WSS://peer.example/a?b", want: "peer.example:443"},
		{in: "ws://[::1]:9/", want: "[::1]:9"},
		{in: "ws:///nohost", err: true},
		{in: "ws://:80/", err: true},
		{in: "127.0.0.1:6881", err: true},
		{in: "ws://bad host/", err: true},
	} {
		got, err := parseURL(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		assert.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}
