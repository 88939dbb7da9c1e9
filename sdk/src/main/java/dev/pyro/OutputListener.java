package dev.pyro;

/**
 * Receives a command's output as it arrives, byte-exact. Called from one SDK thread per
 * command, in arrival order; stdout and stderr chunks interleave as the guest sent them.
 */
public interface OutputListener {
    OutputListener NONE = new OutputListener() {
        @Override
        public void onStdout(byte[] data, int offset, int length) { }

        @Override
        public void onStderr(byte[] data, int offset, int length) { }
    };

    void onStdout(byte[] data, int offset, int length);

    void onStderr(byte[] data, int offset, int length);
}
