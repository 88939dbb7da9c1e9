package dev.pyro.cli;

/** Entry point of the {@code pyro} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("pyro");
    }
}
