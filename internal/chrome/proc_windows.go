package chrome

import (
	"fmt"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ProcGroup makes the browser's processes end with clilogin.
//
// On Windows, clilogin puts itself into a job object that kills its
// processes when its last handle closes, which is when clilogin exits, in
// whatever way. Chrome and every helper it starts inherit the job, so none
// outlives clilogin. (Assigning Chrome after it starts would miss the
// helpers it starts at once.) Chrome starts in a new process group, so that
// a Ctrl-C in the console reaches clilogin only, which closes Chrome
// gracefully.
type ProcGroup struct {
	job windows.Handle // kept open for the life of clilogin
	err error          // why the job could not be made; the login goes on
}

// Prepare sets up the browser's command before it starts.
func (g *ProcGroup) Prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
	if g.job == 0 && g.err == nil {
		g.job, g.err = joinKillOnCloseJob()
	}
}

// End does nothing more: chromedp ends the main process, and the job ends
// the rest when clilogin exits.
func (g *ProcGroup) End() {}

// joinKillOnCloseJob creates a job object that kills its processes when
// its last handle closes, and puts the current process into it.
func joinKillOnCloseJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("create job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
			// BREAKAWAY_OK: a program that clilogin exec runs may still
			// start a process that must outlive it (CREATE_BREAKAWAY_FROM_JOB).
			LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | windows.JOB_OBJECT_LIMIT_BREAKAWAY_OK,
		},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("set up job object: %w", err)
	}
	if err := windows.AssignProcessToJobObject(job, windows.CurrentProcess()); err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("join job object: %w", err)
	}
	return job, nil
}
