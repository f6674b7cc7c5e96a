package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestSetRates(t *testing.T) {
	e := New(Config{UploadRate: 5000})
	t.Cleanup(func() { _ = e.Close() })
	require.Equal(t, rate.Limit(5000), e.upload.Limit())
	require.Equal(t, rate.Inf, e.download.Limit(), "no cap: unlimited")
	e.SetRates(0, 70_000)
	require.Equal(t, rate.Inf, e.upload.Limit())
	require.Equal(t, rate.Limit(70_000), e.download.Limit())
	require.Equal(t, downloadBurst, e.download.Burst(), "the burst stays")
	up, down := e.Rates()
	require.Equal(t, [2]int64{0, 70_000}, [2]int64{up, down})
}
