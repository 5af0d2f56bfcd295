package hypervisor

import (
	"context"
	"errors"
	"fmt"

	"libvirt.org/go/libvirt"
)

// Code classifies an adapter error. Callers decide on the class, never on
// message text.
type Code int

const (
	// ErrOther is any libvirt error without a more specific class.
	ErrOther Code = iota
	// ErrNotFound means libvirt reported that the object does not exist.
	ErrNotFound
	// ErrInvalid means the request or the object's definition was refused as invalid.
	ErrInvalid
	// ErrTimeout means the daemon did not answer in time.
	ErrTimeout
	// ErrConflict means the object exists already or is busy.
	ErrConflict
	// ErrConnection means the connection to the daemon was lost and could not
	// be reopened within the client's reconnect wait.
	ErrConnection
	// ErrCancelled means the caller's context was cancelled (Terraform was
	// interrupted) or its deadline passed before the operation finished.
	ErrCancelled
	// ErrUnsupported means the driver does not offer the call (libvirt's
	// VIR_ERR_NO_SUPPORT), as the test driver lacks volume uploads.
	ErrUnsupported
)

// Error is the adapter's error type: what was attempted on which object, the
// class, and what libvirt said.
type Error struct {
	Op      string // "define", "start", "look up", ...
	Kind    string // "domain", "network", "storage pool", ...
	Name    string
	Code    Code
	Message string // libvirt's own message, without the binding's decoration
}

func (e *Error) Error() string {
	return fmt.Sprintf("unable to %s %s %q: %s", e.Op, e.Kind, e.Name, e.Message)
}

// IsNotFound reports whether err says that the object does not exist.
func IsNotFound(err error) bool { return hasCode(err, ErrNotFound) }

// IsConnectionLost reports whether err says that the daemon went away and
// did not come back in time. The outcome of the call is then unknown: it may
// have taken effect before the connection broke.
func IsConnectionLost(err error) bool { return hasCode(err, ErrConnection) }

// IsCancelled reports whether err says that the operation was cancelled or
// ran out of time before it finished.
func IsCancelled(err error) bool {
	return hasCode(err, ErrCancelled) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// ctxError is the error for an operation that ctx ended: cancelled, or out of
// time.
func ctxError(ctx context.Context, op, kind, name string) error {
	msg := "the operation was cancelled"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		msg = "the operation was cancelled: its time limit passed"
	}
	return &Error{Op: op, Kind: kind, Name: name, Code: ErrCancelled, Message: msg}
}

// IsUnsupported reports whether err says that the driver does not offer the call.
func IsUnsupported(err error) bool { return hasCode(err, ErrUnsupported) }

// IsConflict reports whether err says that the object exists already or is busy.
func IsConflict(err error) bool { return hasCode(err, ErrConflict) }

func hasCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// notFoundCodes are libvirt's "no such object" errors.
var notFoundCodes = map[libvirt.ErrorNumber]bool{
	libvirt.ERR_NO_DOMAIN:       true,
	libvirt.ERR_NO_NETWORK:      true,
	libvirt.ERR_NO_STORAGE_POOL: true,
	libvirt.ERR_NO_STORAGE_VOL:  true,
}

func codeOf(err error) Code {
	var lv libvirt.Error
	if !errors.As(err, &lv) {
		return ErrOther
	}
	switch {
	case notFoundCodes[lv.Code]:
		return ErrNotFound
	case lv.Code == libvirt.ERR_XML_ERROR, lv.Code == libvirt.ERR_INVALID_ARG, lv.Code == libvirt.ERR_CONFIG_UNSUPPORTED,
		lv.Code == libvirt.ERR_XML_DETAIL, lv.Code == libvirt.ERR_INVALID_NETWORK, lv.Code == libvirt.ERR_INVALID_STORAGE_POOL:
		return ErrInvalid
	case lv.Code == libvirt.ERR_OPERATION_TIMEOUT:
		return ErrTimeout
	case lv.Code == libvirt.ERR_NO_SUPPORT:
		return ErrUnsupported
	case lv.Code == libvirt.ERR_OPERATION_INVALID, lv.Code == libvirt.ERR_DOM_EXIST, lv.Code == libvirt.ERR_NETWORK_EXIST,
		lv.Code == libvirt.ERR_STORAGE_VOL_EXIST, lv.Code == libvirt.ERR_STORAGE_POOL_BUILT:
		return ErrConflict
	}
	return ErrOther
}

func messageOf(err error) string {
	var lv libvirt.Error
	if errors.As(err, &lv) {
		return lv.Message
	}
	return err.Error()
}

// wrap turns a libvirt error into an *Error; nil stays nil.
func wrap(err error, op, kind, name string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Kind: kind, Name: name, Code: codeOf(err), Message: messageOf(err)}
}

func asError(err error, target **Error) bool { return errors.As(err, target) }
