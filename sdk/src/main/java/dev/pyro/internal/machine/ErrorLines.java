package dev.pyro.internal.machine;

/** Error texts as stored in records and shown to users: one line. */
final class ErrorLines {
    private ErrorLines() {
    }

    static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
