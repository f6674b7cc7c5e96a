package webrtc

import (
	"context"
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// channelLabel names the data channels Braid opens; peers do not check it.
const channelLabel = "braid"

// ErrNegotiation wraps failures while exchanging offers and answers.
var ErrNegotiation = errors.New("webrtc: negotiation failed")

// offer makes a PeerConnection with an outgoing data channel (the offerer
// creates the channel, as simple-peer does) and returns its offer SDP once
// ICE gathering is complete: WebTorrent trackers carry no trickle.
func (c Config) offer(ctx context.Context) (*webrtc.PeerConnection, *webrtc.DataChannel, string, error) {
	pc, err := c.newPeerConnection()
	if err != nil {
		return nil, nil, "", fmt.Errorf("%w: new peer connection: %w", ErrNegotiation, err)
	}
	dc, err := pc.CreateDataChannel(channelLabel, nil)
	if err != nil {
		_ = pc.Close()
		return nil, nil, "", fmt.Errorf("%w: data channel: %w", ErrNegotiation, err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		_ = pc.Close()
		return nil, nil, "", fmt.Errorf("%w: create offer: %w", ErrNegotiation, err)
	}
	sdp, err := setLocalAndGather(ctx, pc, o)
	if err != nil {
		_ = pc.Close()
		return nil, nil, "", err
	}
	return pc, dc, sdp, nil
}

// answer makes a PeerConnection for a remote offer and returns the answer
// SDP after gathering. onChannel runs (in pion's goroutine) when the
// offerer's data channel arrives, before it opens: wrap it there, or the
// first messages are lost.
func (c Config) answer(ctx context.Context, offerSDP string, onChannel func(*webrtc.PeerConnection, *webrtc.DataChannel)) (*webrtc.PeerConnection, string, error) {
	pc, err := c.newPeerConnection()
	if err != nil {
		return nil, "", fmt.Errorf("%w: new peer connection: %w", ErrNegotiation, err)
	}
	pc.OnDataChannel(func(dc *webrtc.DataChannel) { onChannel(pc, dc) })
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
		_ = pc.Close()
		return nil, "", fmt.Errorf("%w: remote offer: %w", ErrNegotiation, err)
	}
	a, err := pc.CreateAnswer(nil)
	if err != nil {
		_ = pc.Close()
		return nil, "", fmt.Errorf("%w: create answer: %w", ErrNegotiation, err)
	}
	sdp, err := setLocalAndGather(ctx, pc, a)
	if err != nil {
		_ = pc.Close()
		return nil, "", err
	}
	return pc, sdp, nil
}

// acceptAnswer completes an offer with the remote answer.
func acceptAnswer(pc *webrtc.PeerConnection, answerSDP string) error {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answerSDP}); err != nil {
		return fmt.Errorf("%w: remote answer: %w", ErrNegotiation, err)
	}
	return nil
}

func setLocalAndGather(ctx context.Context, pc *webrtc.PeerConnection, d webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(d); err != nil {
		return "", fmt.Errorf("%w: set local %s: %w", ErrNegotiation, d.Type, err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("%w: ICE gathering: %w", ErrNegotiation, ctx.Err())
	}
	ld := pc.LocalDescription()
	if ld == nil {
		return "", fmt.Errorf("%w: no local description", ErrNegotiation)
	}
	return ld.SDP, nil
}
