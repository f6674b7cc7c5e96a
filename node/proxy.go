package node

import "errors"

// ErrProxy wraps every failure to use Config.Proxy: a URL that is not
// socks5://[user:pass@]host:port, a setting strict mode refuses, the
// browser (which has no proxy).
var ErrProxy = errors.New("proxy")
