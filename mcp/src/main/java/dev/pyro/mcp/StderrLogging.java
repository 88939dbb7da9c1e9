package dev.pyro.mcp;

import java.io.PrintStream;

/**
 * Keeps stdout for the protocol. Every log line (ours, the MCP SDK's, Jetty's, Reactor's; all
 * through SLF4J, bound to slf4j-simple) goes to stderr, and {@code System.out} itself is pointed
 * at stderr, so that a stray print anywhere cannot corrupt the JSON-RPC stream.
 */
public final class StderrLogging {
    private StderrLogging() {
    }

    /**
     * Configures logging; call before anything logs.
     *
     * @param debug also log the SDKs' debug output (PYRO_DEBUG)
     */
    public static void configure(boolean debug) {
        set("org.slf4j.simpleLogger.logFile", "System.err");
        set("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "warn");
        set("org.slf4j.simpleLogger.log.dev.pyro", debug ? "debug" : "info");
        set("org.slf4j.simpleLogger.showDateTime", "true");
        set("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        set("org.slf4j.simpleLogger.showThreadName", "false");
        set("org.slf4j.simpleLogger.showShortLogName", "true");
        set("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    /**
     * Points {@code System.out} at stderr and returns the real stdout, for the transport only.
     */
    public static PrintStream takeStdout() {
        PrintStream real = System.out;
        System.setOut(System.err);
        return real;
    }

    private static void set(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
