//go:build js && wasm

package webrtc

import "github.com/pion/webrtc/v4"

// api wraps the browser's RTCPeerConnection; ICE policy is the browser's.
func (c Config) api() *webrtc.API { return webrtc.NewAPI() }
