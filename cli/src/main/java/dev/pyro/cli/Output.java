package dev.pyro.cli;

import dev.pyro.OutputListener;

/** Streams a guest command's output to the terminal, ending any live progress line first. */
final class Output {
    private Output() {
    }

    static OutputListener streamTo(Terminal terminal, ProgressRenderer progress) {
        return new OutputListener() {
            private boolean started;

            private void start() {
                if (!started) {
                    started = true;
                    if (progress != null) {
                        progress.finish();
                    }
                }
            }

            @Override
            public void onStdout(byte[] data, int offset, int length) {
                start();
                terminal.writeOut(data, offset, length);
            }

            @Override
            public void onStderr(byte[] data, int offset, int length) {
                start();
                terminal.writeErr(data, offset, length);
            }
        };
    }

    /** A progress renderer on stderr, or none in JSON mode. */
    static ProgressRenderer progress(Terminal terminal, boolean json) {
        return json ? null : new ProgressRenderer(terminal.errPrintStream(), terminal.errIsTty());
    }

    static dev.pyro.ProgressListener listener(ProgressRenderer renderer) {
        return renderer == null ? dev.pyro.ProgressListener.NONE : renderer;
    }
}
