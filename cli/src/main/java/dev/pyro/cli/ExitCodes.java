package dev.pyro.cli;

/** Process exit codes of the CLI besides a guest command's own code (see docs/cli.md). */
final class ExitCodes {
    /** pyro itself failed (any command but run). */
    static final int FAILURE = 1;
    /** The command line was wrong. */
    static final int USAGE = 2;
    /** {@code pyro run} failed before or around the command (as docker run's 125). */
    static final int RUN_FAILURE = 125;

    private ExitCodes() {
    }
}
