#pragma once
// Test support for the pool tests: runs real tdsd processes (tests/tdsd) on ephemeral
// ports, talks to their control port, and runs coroutines on a small io_context.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tds_pool/connection_target.hpp"

extern char** environ;

namespace pool_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline constexpr const char* tdsd_password = "pool-test-secret";

/// Path of the tdsd binary: $TG_BUILD_DIR/tests/tdsd/tdsd (ctest sets it).
inline std::string tdsd_binary() {
    const char* dir = std::getenv("TG_BUILD_DIR");
    const fs::path base = dir != nullptr ? fs::path(dir) : fs::current_path().parent_path().parent_path();
    return (base / "tests" / "tdsd" / "tdsd").string();
}

/// One tdsd process with a database db1 (table items: 50 rows), stopped on destruction.
class tdsd_process {
public:
    /// Starts tdsd; `faults_yaml` is an optional `faults:` block.
    explicit tdsd_process(const std::string& faults_yaml = "") {
        static int counter = 0;
        dir_ = fs::temp_directory_path() /
               ("pool-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(dir_);
        write_files(faults_yaml);
        spawn();
        wait_for_ports();
    }
    ~tdsd_process() {
        stop();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    tdsd_process(const tdsd_process&) = delete;
    tdsd_process& operator=(const tdsd_process&) = delete;

    std::uint16_t port() const { return port_; }

    /// Sends one control command and returns the reply line ("ok" or "error: ...").
    std::string control(const std::string& command) const {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(control_port_);
        ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        timeval tv{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            ::close(fd);
            throw std::runtime_error("tdsd control: connect failed");
        }
        const std::string line = command + "\n";
        if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) < 0) {
            ::close(fd);
            throw std::runtime_error("tdsd control: send failed");
        }
        std::string reply;
        char c = 0;
        while (::recv(fd, &c, 1, 0) == 1 && c != '\n') {
            reply += c;
        }
        ::close(fd);
        return reply;
    }

    /// A target for database `database` with the right (or a given) password.
    tds_pool::connection_target target(const std::string& database = "db1",
                                       const std::string& password = tdsd_password) const {
        // tdsd here runs without TLS: the plain path.
        return {"127.0.0.1", port_, database, "u", password, std::nullopt, conf::tls_settings::unencrypted()};
    }

private:
    void write_files(const std::string& faults_yaml) {
        std::ofstream init(dir_ / "init.sql");
        init << "CREATE TABLE items (id INT PRIMARY KEY, name NVARCHAR(50));\n";
        for (int i = 1; i <= 50; ++i) {
            init << "INSERT INTO items (id, name) VALUES (" << i << ", N'item " << i << "');\n";
        }
        std::ofstream config(dir_ / "tdsd.yaml");
        config << "listen: {address: 127.0.0.1, port: 0}\n"
                  "control: {address: 127.0.0.1, port: 0}\n"
                  "logins: [{user: u, password: \"${TDSD_PASSWORD}\", databases: [\"*\"]}]\n"
                  "databases: [{name: db1, file: \":memory:\", init: [init.sql]},\n"
                  "            {name: db2, file: \":memory:\", init: [init.sql]}]\n"
               << faults_yaml;
    }

    void spawn() {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        const std::string out = (dir_ / "tdsd.out").string();
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, (dir_ / "tdsd.err").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<std::string> env_strings;
        for (char** e = environ; *e != nullptr; ++e) {
            env_strings.emplace_back(*e);
        }
        env_strings.push_back(std::string("TDSD_PASSWORD=") + tdsd_password);
        std::vector<char*> envp;
        for (auto& s : env_strings) {
            envp.push_back(s.data());
        }
        envp.push_back(nullptr);
        std::string binary = tdsd_binary();
        std::string config = (dir_ / "tdsd.yaml").string();
        std::string flag = "--config";
        char* argv[] = {binary.data(), flag.data(), config.data(), nullptr};
        const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, envp.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            throw std::runtime_error("cannot start " + binary);
        }
    }

    void wait_for_ports() {
        const std::regex control_line(R"(tdsd control on [0-9.]+:([0-9]+))");
        const std::regex listen_line(R"(tdsd listening on [0-9.]+:([0-9]+))");
        const auto give_up = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < give_up) {
            std::ifstream in(dir_ / "tdsd.out");
            std::stringstream text;
            text << in.rdbuf();
            const std::string s = text.str();
            std::smatch m;
            if (std::regex_search(s, m, control_line)) {
                control_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
            }
            if (std::regex_search(s, m, listen_line)) {
                port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
            }
            if (port_ != 0 && control_port_ != 0) {
                return;
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("tdsd exited at start-up; see " + (dir_ / "tdsd.err").string());
            }
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error("tdsd did not print its ports");
    }

    void stop() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 250; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(20ms);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    fs::path dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::uint16_t control_port_ = 0;
};

/// An io_context run by two threads for the duration of a test.
class io_runtime {
public:
    io_runtime() : guard_(boost::asio::make_work_guard(ioc_)) {
        for (int i = 0; i < 2; ++i) {
            threads_.emplace_back([this] { ioc_.run(); });
        }
    }
    ~io_runtime() {
        guard_.reset();
        ioc_.stop();
        for (auto& t : threads_) {
            t.join();
        }
    }
    boost::asio::io_context& ioc() { return ioc_; }

    /// Starts `task` on the io_context; the future yields its result.
    template <class T>
    std::future<T> spawn(boost::asio::awaitable<T> task) {
        return boost::asio::co_spawn(ioc_, std::move(task), boost::asio::use_future);
    }
    /// Runs `task` to completion and returns its result.
    template <class T>
    T run(boost::asio::awaitable<T> task) {
        return spawn(std::move(task)).get();
    }

private:
    boost::asio::io_context ioc_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::vector<std::thread> threads_;
};

/// Polls `condition` every 20 ms until it holds or `limit` passes.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 10s) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return condition();
}

}  // namespace pool_test
