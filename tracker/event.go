package tracker

// Event is the lifecycle event carried by an announce (BEP 3).
type Event int

// Announce events. EventNone marks a periodic announce.
const (
	EventNone Event = iota
	EventStarted
	EventCompleted
	EventStopped
)

// String gives the HTTP query value ("started", "completed", "stopped"),
// and "none" for EventNone, which is never sent.
func (e Event) String() string {
	switch e {
	case EventNone:
		return "none"
	case EventStarted:
		return "started"
	case EventCompleted:
		return "completed"
	case EventStopped:
		return "stopped"
	}
	return "unknown"
}

// parseEvent reads the HTTP "event" parameter; unknown values and "" are
// EventNone, as BEP 3 asks trackers to be lenient here.
func parseEvent(s string) Event {
	switch s {
	case "started":
		return EventStarted
	case "completed":
		return EventCompleted
	case "stopped":
		return EventStopped
	}
	return EventNone
}

// udpEvent maps an Event to its BEP 15 code (none=0, completed=1,
// started=2, stopped=3), which differs from the Go ordering.
func (e Event) udpEvent() uint32 {
	switch e {
	case EventCompleted:
		return 1
	case EventStarted:
		return 2
	case EventStopped:
		return 3
	}
	return 0
}

func eventFromUDP(v uint32) Event {
	switch v {
	case 1:
		return EventCompleted
	case 2:
		return EventStarted
	case 3:
		return EventStopped
	}
	return EventNone
}
