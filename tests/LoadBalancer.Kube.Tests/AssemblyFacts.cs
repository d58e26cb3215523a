namespace LoadBalancer.Kube.Tests;

public class AssemblyFacts
{
    [Fact]
    public void TestAssemblyLoads() => Assert.Equal("LoadBalancer.Kube.Tests", typeof(AssemblyFacts).Assembly.GetName().Name);
}
