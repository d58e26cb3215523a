namespace LoadBalancer.Proto.Tests;

public class AssemblyFacts
{
    [Fact]
    public void TestAssemblyLoads() => Assert.Equal("LoadBalancer.Proto.Tests", typeof(AssemblyFacts).Assembly.GetName().Name);
}
