package persist

import "errors"

// ErrQuota is wrapped by IndexedDB errors the browser raises as
// QuotaExceededError, so the UI can say storage is full rather than show a
// DOMException. It is declared for every platform so shared code can test it.
var ErrQuota = errors.New("persist: browser storage quota exceeded")
