package dev.pyro.testsupport;

/** Test settings: a system property wins over the environment variable. */
public final class TestConfig {
    private TestConfig() {
    }

    /** The value of {@code -Dproperty}, else of the environment variable, else null. */
    public static String get(String property, String envVariable) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(envVariable);
        }
        return value == null || value.isBlank() ? null : value;
    }
}
