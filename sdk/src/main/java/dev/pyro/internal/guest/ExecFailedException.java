package dev.pyro.internal.guest;

/**
 * The guest agent could not start a command ({@code ERROR(EXEC_FAILED)}): the program does not
 * exist, is not executable, or the working directory is wrong. Not a VM failure: the front-ends
 * report it like a shell would, with {@link #shellExitCode()} and {@link #hint()}.
 */
public final class ExecFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** errno values the agent reports (Linux x86-64). */
    public static final int ENOENT = 2;
    public static final int EACCES = 13;
    public static final int ENOTDIR = 20;

    private final String program;
    private final int errno;
    private final String guestMessage;

    public ExecFailedException(String program, int errno, String guestMessage) {
        super("cannot run '" + program + "' in the guest: " + guestMessage);
        this.program = program;
        this.errno = errno;
        this.guestMessage = guestMessage;
    }

    public String program() {
        return program;
    }

    /** The errno the guest's exec or chdir failed with. */
    public int errno() {
        return errno;
    }

    /** The agent's own description, e.g. {@code execvp "nope": No such file or directory}. */
    public String guestMessage() {
        return guestMessage;
    }

    /** What a shell would exit with: 127 for "not found", 126 for "found but cannot run". */
    public int shellExitCode() {
        return errno == ENOENT ? 127 : 126;
    }

    /** One line that says what to do. */
    public String hint() {
        return switch (errno) {
            case ENOENT -> "'" + program + "' or the working directory does not exist in the guest; "
                    + "check the name, or install it in the environment";
            case EACCES -> "'" + program + "' is not executable in the guest; check its permissions (chmod +x)";
            case ENOTDIR -> "a component of the program path or working directory is not a directory";
            default -> "the guest could not start '" + program + "' (errno " + errno + ")";
        };
    }
}
