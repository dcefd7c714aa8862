package dev.atrium.provisioning;

/**
 * A step's failure as a run shows it: a stable code and a sentence, safe for anyone who can read the run. The
 * {@code detail} (internal addresses, a transport's own error) is for the log only. {@code retryable}: worth another
 * attempt after a backoff; otherwise the run gives up at once.
 */
public class StepFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String code;
    private final boolean retryable;
    private final String detail;

    public StepFailure(String code, String message, String detail, boolean retryable) {
        super(code + ": " + message);
        this.code = code;
        this.retryable = retryable;
        this.detail = detail;
    }

    public String code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }

    public String detail() {
        return detail;
    }
}
