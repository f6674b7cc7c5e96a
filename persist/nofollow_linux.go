package persist

import "syscall"

// createNoFollow is added to the flags of a create that must not follow a
// symlink in the path's last component (the open then fails); O_NOCTTY
// keeps a terminal planted there from becoming Braid's.
const createNoFollow = syscall.O_NOFOLLOW | syscall.O_NOCTTY
