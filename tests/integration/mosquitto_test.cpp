// Interop with a real MQTT broker: Debian's mosquitto, started on loopback with a generated
// configuration (a plain listener, a WebSocket listener, password authentication, no persistence).
// `wsprobe check --app mqtt` is up with the right password in MQTT 3.1.1 and 5.0, down with the
// broker's refusal code otherwise, and never prints the password.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/harness.h"
#include "tests/integration/net_util.h"

namespace {

using namespace wsp::test;

const char* const mosquitto_bin = "/usr/sbin/mosquitto";
const char* const mosquitto_passwd_bin = "/usr/bin/mosquitto_passwd";

std::string read_text(const std::filesystem::path& p)
{
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// One mosquitto for the suite, in a temporary directory removed at the end.
class mosquitto_broker {
public:
    mosquitto_broker(const std::string& user, const std::string& password)
    {
        char tmpl[] = "/tmp/wsprobe-mosquitto-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        dir_ = tmpl;
        const auto passwd = dir_ / "passwd";
        child_process make_passwd({mosquitto_passwd_bin, "-b", "-c", passwd.string(), user, password});
        if (make_passwd.wait(10s).value_or(-1) != 0) {
            throw std::runtime_error("mosquitto_passwd failed: " + make_passwd.err());
        }
        plain_port_ = free_port();
        ws_port_ = free_port();
        const auto conf = dir_ / "mosquitto.conf";
        std::ofstream c(conf);
        // `user root`: mosquitto started as root would otherwise switch to the mosquitto user and
        // lose access to this directory; as any other user the option is ignored.
        c << "user root\n"
          << "persistence false\n"
          << "log_dest file " << (dir_ / "mosquitto.log").string() << "\n"
          << "log_type all\n"
          << "allow_anonymous false\n"
          << "password_file " << passwd.string() << "\n"
          << "listener " << plain_port_ << " 127.0.0.1\n"
          << "socket_domain ipv4\n"
          << "listener " << ws_port_ << " 127.0.0.1\n"
          << "socket_domain ipv4\n"
          << "protocol websockets\n";
        c.close();
        proc_ = std::make_unique<child_process>(std::vector<std::string>{mosquitto_bin, "-c", conf.string()});
        if (!wait_for_port(ws_port_, 10s)) {
            throw std::runtime_error("mosquitto did not open its WebSocket listener; log: " + log() +
                                     " stderr: " + proc_->err());
        }
    }
    ~mosquitto_broker()
    {
        proc_.reset(); // SIGTERM, then SIGKILL, bounded
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    mosquitto_broker(const mosquitto_broker&) = delete;
    mosquitto_broker& operator=(const mosquitto_broker&) = delete;

    [[nodiscard]] std::string url() const { return "ws://127.0.0.1:" + std::to_string(ws_port_) + "/"; }
    [[nodiscard]] std::string log() const { return read_text(dir_ / "mosquitto.log"); }

private:
    std::filesystem::path dir_;
    std::uint16_t plain_port_ = 0;
    std::uint16_t ws_port_ = 0;
    std::unique_ptr<child_process> proc_;
};

constexpr const char* user = "probe";
constexpr const char* password = "mq-secret-5e0b71";
constexpr const char* wrong_password = "mq-wrong-9d22aa";

class mosquitto_interop : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::access(mosquitto_bin, X_OK) != 0 || ::access(mosquitto_passwd_bin, X_OK) != 0) {
            return;
        }
        ::setenv("WSP_TEST_MOSQUITTO_PASSWORD", password, 1);
        ::setenv("WSP_TEST_MOSQUITTO_WRONG", wrong_password, 1);
        broker_ = new mosquitto_broker(user, password);
    }
    static void TearDownTestSuite()
    {
        delete broker_;
        broker_ = nullptr;
    }
    void SetUp() override
    {
        if (broker_ == nullptr) {
            GTEST_SKIP() << "mosquitto is not installed (tools/scripts/setup.sh --test installs it)";
        }
    }

    static std::unique_ptr<check_json> run(const char* version, const char* password_env,
                                           bool verbose = false)
    {
        std::vector<std::string> args{broker_->url(), "--app", "mqtt", "--mqtt-version", version};
        if (password_env != nullptr) {
            args.insert(args.end(), {"--username", user, "--password-env", password_env});
        }
        if (verbose) {
            args.push_back("-v");
        }
        return check(args);
    }
    static void expect_no_password(const check_json& r)
    {
        EXPECT_EQ(r.context().find(password), std::string::npos) << r.context();
        EXPECT_EQ(r.context().find(wrong_password), std::string::npos) << r.context();
    }

    static mosquitto_broker* broker_;
};
mosquitto_broker* mosquitto_interop::broker_ = nullptr;

TEST_F(mosquitto_interop, right_password_is_up_in_both_versions)
{
    for (const char* version : {"3.1.1", "5"}) {
        auto r = run(version, "WSP_TEST_MOSQUITTO_PASSWORD", true);
        ASSERT_TRUE(r->parsed) << r->context();
        EXPECT_EQ(r->status(), "up") << version << ": " << r->context() << "\nbroker log:\n"
                                     << broker_->log();
        EXPECT_EQ(r->run.exit_code, 0);
        std::string_view sub;
        EXPECT_EQ(r->doc["negotiated"]["subprotocol"].get(sub), simdjson::SUCCESS) << r->context();
        EXPECT_EQ(sub, "mqtt");
        double init_ms = -1;
        EXPECT_EQ(r->doc["phases_ms"]["app_init"].get(init_ms), simdjson::SUCCESS) << r->context();
        double rtt_ms = -1;
        EXPECT_EQ(r->doc["phases_ms"]["rtt"].get(rtt_ms), simdjson::SUCCESS)
            << "PINGREQ/PINGRESP: " << r->context();
        expect_no_password(*r);
    }
}

TEST_F(mosquitto_interop, wrong_or_missing_password_is_down_with_the_refusal)
{
    for (const char* version : {"3.1.1", "5"}) {
        for (const char* env : {"WSP_TEST_MOSQUITTO_WRONG", static_cast<const char*>(nullptr)}) {
            auto r = run(version, env, true);
            ASSERT_TRUE(r->parsed) << r->context();
            EXPECT_EQ(r->status(), "down") << r->context();
            EXPECT_EQ(r->phase(), "app_init") << r->context();
            EXPECT_TRUE(r->code() == "mqtt_bad_credentials" || r->code() == "mqtt_not_authorized")
                << version << ": " << r->context() << "\nbroker log:\n"
                << broker_->log();
            EXPECT_NE(r->message().find("MQTT broker refused the connection"), std::string::npos)
                << r->message();
            EXPECT_EQ(r->run.exit_code, 2);
            expect_no_password(*r);
        }
    }
    // The broker saw the attempts (the test talked to mosquitto, not to something else on the port).
    EXPECT_NE(broker_->log().find("probe"), std::string::npos) << broker_->log();
}

} // namespace
