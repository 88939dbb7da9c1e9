package dev.pyro.internal.state;

import dev.pyro.internal.host.ProcessIdentity;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Optional;

/** Small JDBC helpers for nullable columns; times are milliseconds since the epoch. */
final class Sql {
    private Sql() {
    }

    static void setText(PreparedStatement s, int i, Optional<String> v) throws SQLException {
        if (v.isPresent()) {
            s.setString(i, v.get());
        } else {
            s.setNull(i, Types.VARCHAR);
        }
    }

    static void setPath(PreparedStatement s, int i, Optional<Path> v) throws SQLException {
        setText(s, i, v.map(Path::toString));
    }

    static void setTime(PreparedStatement s, int i, Optional<Instant> v) throws SQLException {
        if (v.isPresent()) {
            s.setLong(i, v.get().toEpochMilli());
        } else {
            s.setNull(i, Types.INTEGER);
        }
    }

    static void setLong(PreparedStatement s, int i, Optional<Long> v) throws SQLException {
        if (v.isPresent()) {
            s.setLong(i, v.get());
        } else {
            s.setNull(i, Types.INTEGER);
        }
    }

    /** Two columns: pid, start time. */
    static void setProcess(PreparedStatement s, int i, Optional<ProcessIdentity> p) throws SQLException {
        setLong(s, i, p.map(ProcessIdentity::pid));
        setLong(s, i + 1, p.map(ProcessIdentity::startTime));
    }

    static Optional<String> text(ResultSet r, String column) throws SQLException {
        return Optional.ofNullable(r.getString(column));
    }

    static Optional<Path> path(ResultSet r, String column) throws SQLException {
        return text(r, column).map(Path::of);
    }

    static Optional<Long> optLong(ResultSet r, String column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? Optional.empty() : Optional.of(v);
    }

    static Optional<Instant> time(ResultSet r, String column) throws SQLException {
        return optLong(r, column).map(Instant::ofEpochMilli);
    }

    static Optional<ProcessIdentity> process(ResultSet r, String pidColumn, String startColumn) throws SQLException {
        Optional<Long> pid = optLong(r, pidColumn);
        Optional<Long> start = optLong(r, startColumn);
        return pid.isPresent() && start.isPresent() ? Optional.of(new ProcessIdentity(pid.get(), start.get()))
                : Optional.empty();
    }
}
